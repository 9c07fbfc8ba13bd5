"""The datasets service: uploads, validation, metadata, rows, share links."""
