"""The board report as a background task: asked for on a programme's insights page, drawn by a worker."""
