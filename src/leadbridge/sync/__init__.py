"""The flows: intake, deal batcher, stage changes, relay, and the runtime that runs them."""
