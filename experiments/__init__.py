"""The experiment presets, shipped in the wheel as ``simprive.experiments``: one YAML each,
registered as the ``experiment`` config group (``simprive experiment=NAME``)."""
