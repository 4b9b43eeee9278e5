"""The managers' dashboard, `/dashboard`: figures for supervisors, leaders and administrators.

Plain HTML and JavaScript in `static/` (no build step), served by the platform like the agent's
page. It shows what `/api/v1/metrics` and `/api/v1/reports` answer: calls, cases, public opinion
with its sudden-rise alerts, the monthly and Monday leader-duty reports; every figure with its
formula, in Chinese or English, exportable as CSV or XLSX. The charts are Apache ECharts, installed
from npm by the setup (`web/`) and served from there as it is.
"""
