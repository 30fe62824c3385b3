"""vrex adaptation (see ../shared/design/architecture.md)."""
