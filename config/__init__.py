"""Default configuration (feeds, topic, alerts) and the settings object."""
