"""Test doubles shared by test modules: in-memory partners with the real adapters' interfaces."""
