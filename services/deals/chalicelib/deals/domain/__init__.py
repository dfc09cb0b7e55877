"""Business rules of deals: no boto3, no environment, no HTTP."""
