"""simprive's Hydra configs, shipped in the wheel as ``simprive.conf``: ``config.yaml`` and one
folder per config group (scenario, query, mechanism, adversary, figure)."""
