"""The web portal: partners sign in, download their template, check and send files, declare
months without activity and follow their submissions; coordinators see every partner, the
reviewers' pages and the publications. Server-rendered pages (FastAPI, Jinja2), accounts in
the warehouse, Romanian and English catalogues; it also mails partners the outcome of their
files and reminds them before a due date."""
