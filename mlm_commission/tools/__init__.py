from . import pgcopy
from . import pdf_batch
