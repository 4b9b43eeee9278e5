"""What every page of the platform shares: the page client (static/client.js, served at
/pages/client.js), serving a page's files (files.py), the live socket's protocol (live.py) and the
typed messages it carries (messages.py). A page's own folder (hotline/features/desk, hotline/features/wallboard,
hotline/features/dashboard) holds only its HTML, its script and its styles."""
