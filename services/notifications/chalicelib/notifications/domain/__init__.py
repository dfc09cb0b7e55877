"""Business rules of messaging: no boto3, no environment, no HTTP."""
