"""Lanka on one machine: the AWS emulator, the gateway, event delivery and schedules."""
