from leadbridge.cli import app

app(prog_name="leadbridge")
