"""The Lanka CDK app: the stack built from lanka_platform.resources."""
