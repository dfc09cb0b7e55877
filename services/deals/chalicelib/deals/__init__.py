"""The deals service: pipelines, deals, tasks and the automation that moves them."""
