from . import mlm_commission_statement_report
