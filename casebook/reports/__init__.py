"""Reports for the leaders: the Monday leader-duty list and the monthly figures (HTML and PDF)."""
