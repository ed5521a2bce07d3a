"""User actions: small functions over the Store that the CLI and the GUI both call."""
