"""`inferlane`, the command-line client: thin typer commands over `inferlane.client`."""
