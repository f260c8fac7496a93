"""The claude agent through the extension: the real claude CLI against a fake Messages API."""
