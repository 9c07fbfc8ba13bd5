"""How many of a dataset's first rows are kept with it as its preview: the datasets service
stores that many at upload, and the gateway shows that many (a share page too)."""

PREVIEW_ROWS = 20
