"""What people read: the public publication (CSV, workbook, HTML report), the reviewers'
data-quality pages and their web app, and the README's generated tables. Imports every stage
below it, never ``orchestration``."""
