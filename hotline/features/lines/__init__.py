"""The center's lines (numbers, greetings, hours, default queues), edited from the admin page,
and Asterisk kept in step with them and with the agents' phones, with no command line."""
