"""Open311 GeoReport v2: the door for the mailboxes, the web form, Weibo and WeChat."""
