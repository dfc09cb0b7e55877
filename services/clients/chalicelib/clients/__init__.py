"""The clients service: people and companies, their contact points and their history."""
