"""The alert engine: the rules evaluated by one elected process, incidents opened, reminded and
resolved, and their messages delivered through every channel that takes them."""
