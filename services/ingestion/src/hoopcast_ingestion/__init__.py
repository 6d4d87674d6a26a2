"""hoopcast ingestion: ESPN client, collectors and normalization (stage 1)."""
