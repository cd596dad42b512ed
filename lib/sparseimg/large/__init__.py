"""Large images: sparse coding tiled on Dask, and its task-graph plumbing."""
