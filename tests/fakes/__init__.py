"""In-memory fakes of every store, one module per service: each passes the same contract
tests as the DynamoDB store it stands for (tests/integration/test_store_contracts_*.py), so
that rule and validation tests can run on them in milliseconds."""
