"""CAEC sessionization engine."""
