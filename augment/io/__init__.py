"""Import and export: one module per external format, each with `load_*` (episodes in) and
`save_*` (episodes out). `convert.py` ties them to the store with field mapping and safe writes."""
