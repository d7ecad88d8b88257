"""coupling package."""
