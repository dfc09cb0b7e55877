"""Business rules of booking: no boto3, no environment, no HTTP."""
