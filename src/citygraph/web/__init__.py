"""Small HTTP pieces that belong to no API face: health probes, the start page, middleware."""
