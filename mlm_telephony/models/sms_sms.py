import logging

from odoo import models, tools

_logger = logging.getLogger(__name__)


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Send through the company's ``mlm.sms.gateway`` when one is configured, otherwise through Odoo IAP."""
        gateway = self.env["mlm.sms.gateway"]._get_for_company(self.env.company)
        if not gateway:
            return super()._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception)
        messages = [
            {
                "content": body,
                "numbers": [{"number": sms.number, "uuid": sms.uuid, "sms_id": sms.id} for sms in body_sms_records],
            }
            for body, body_sms_records in self.grouped("body").items()
        ]
        results = gateway._send_sms_batch(messages)
        _logger.info("Sent batch %s SMS through gateway %s: %s", len(self.ids), gateway.id, results)
        self._mlm_apply_send_results(results, unlink_failed, unlink_sent)

    def _mlm_apply_send_results(self, results, unlink_failed, unlink_sent):
        """Same bookkeeping as ``sms.sms._send`` after IAP answers (states, trackers, notifications)."""
        uuids = [result["uuid"] for result in results]
        all_sms_sudo = (
            self.env["sms.sms"].sudo().search([("uuid", "in", uuids)]).with_context(sms_skip_msg_notification=True)
        )
        for state, results_group in tools.groupby(results, key=lambda result: result["state"]):
            group_uuids = {result["uuid"] for result in results_group}
            sms_sudo = all_sms_sudo.filtered(lambda s, group_uuids=group_uuids: s.uuid in group_uuids)
            if success_state := self.IAP_TO_SMS_STATE_SUCCESS.get(state):
                sms_sudo.sms_tracker_id._action_update_from_sms_state(success_state)
                to_delete = {"to_delete": True} if unlink_sent else {}
                sms_sudo.write({"state": success_state, "failure_type": False, **to_delete})
            else:
                failure_type = self.IAP_TO_SMS_FAILURE_TYPE.get(state, "unknown")
                if failure_type != "unknown":
                    sms_sudo.sms_tracker_id._action_update_from_sms_state("error", failure_type=failure_type)
                else:
                    sms_sudo.sms_tracker_id._action_update_from_provider_error(state)
                to_delete = {"to_delete": True} if unlink_failed else {}
                sms_sudo.write({"state": "error", "failure_type": failure_type, **to_delete})
        all_sms_sudo.mail_message_id._notify_message_notification_update()
