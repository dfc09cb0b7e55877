"""Business rules of the client base: no boto3, no environment, no HTTP."""
