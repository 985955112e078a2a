/** Copy buttons of the referral page. */
import publicWidget from "@web/legacy/js/public/public_widget";
import { _t } from "@web/core/l10n/translation";

publicWidget.registry.MlmReferralCopy = publicWidget.Widget.extend({
    selector: ".o_mlm_referral",
    events: { "click .o_mlm_copy": "_onCopy" },

    async _onCopy(ev) {
        const button = ev.currentTarget;
        const input = this.el.querySelector(button.dataset.target);
        input.select();
        try {
            await navigator.clipboard.writeText(input.value);
        } catch {
            document.execCommand("copy");
        }
        button.textContent = _t("Copied");
    },
});
