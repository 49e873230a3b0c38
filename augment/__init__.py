"""Domain randomization, the episode dataset store, import/export, demo generation."""
