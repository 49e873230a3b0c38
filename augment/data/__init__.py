"""The episode store and recording. `dataset.py` reads a demoforge/LeRobot v3 dataset, `writer.py`
writes one (crash-safe, resumable), `packing.py` / `episode_index.py` / `data_file.py` / `video.py`
are its files, `stats.py` its feature statistics, `safety.py` / `lock.py` its guards against hostile
files and concurrent writers, `inspect.py` what `demoforge info` prints. `record.py` records episodes
of an env into a store (`demoforge collect`), `idle.py` finds the frames of a demo that make no
progress."""
