"""The domain: everything that changes what the simulator is. Profiles (`profiles.py`, the built-in
TOML files in `profiles/`), the model draws (`randomize.py`, `appearance.py`), image augmentation
(`image_aug.py`), the wrapper that runs a task env inside a profile (`wrapper.py`: latency, action
and sensor noise), and a picture of a profile (`preview.py`)."""
