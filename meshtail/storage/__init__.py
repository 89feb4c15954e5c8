"""Where events live once parsed: the bounded store, its packed columns, and the pane views over it."""
