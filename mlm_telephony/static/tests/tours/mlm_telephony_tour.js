/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("mlm_telephony_tour", {
    steps: () => [
        {
            content: "The distributor's smart buttons: open the ones that do not fit",
            trigger: ".o_form_view .o-form-buttonbox .o_button_more",
            run: "click",
        },
        {
            content: "The distributor's card shows one call",
            trigger: ".o-dropdown--menu button[name='action_mlm_view_calls']:contains('1')",
            run: "click",
        },
        {
            content: "Open the call from the distributor's call list",
            trigger: ".o_list_view .o_data_row .o_data_cell[name='external_number']:contains('77011234567')",
            run: "click",
        },
        {
            content: "The call form plays the recording",
            trigger: ".o_form_view div[name='recording_player'] audio[src='https://records.example.com/rec/alice.mp3']",
        },
        {
            content: "The call is answered, with its talk time",
            trigger: ".o_form_view .o_field_widget[name='duration_display']:contains('1:05')",
        },
        {
            content: "Back to the distributor",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Alice')",
            run: "click",
        },
        {
            content: "Click-to-call from the distributor's card",
            trigger: ".o_form_view .o_form_statusbar button[name='action_mlm_call']",
            run: "click",
        },
        {
            content: "The PBX accepted the call: pick up your phone",
            trigger: ".o_notification:contains('pick up your phone')",
        },
        {
            content: "Open the Calls and Messages menu",
            trigger: ".o_main_navbar [data-menu-xmlid='mlm_telephony.mlm_telephony_menu']",
            run: "click",
        },
        {
            content: "Open the segments",
            trigger: ".dropdown-item[data-menu-xmlid='mlm_telephony.mlm_distributor_segment_menu']",
            run: "click",
        },
        {
            content: "Open Alice's team",
            trigger: ".o_list_view .o_data_row .o_data_cell[name='name']:contains('Alice\\'s team')",
            run: "click",
        },
        {
            content: "The segment counts its distributors",
            trigger: ".o_form_view button[name='action_view_distributors']:contains('4')",
        },
        {
            content: "Write a Telegram message to the segment",
            trigger: ".o_form_view button[name='action_create_telegram_mailing']",
            run: "click",
        },
        {
            content: "Type the message",
            trigger: ".o_form_view div[name='body'] textarea",
            run: "edit Training on Friday at 10:00",
        },
        {
            content: "Save it",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Send it",
            trigger: ".o_form_view button[name='action_send']",
            run: "click",
        },
        {
            content: "The message is queued for its segment by a background job",
            trigger: ".o_notification:contains('being queued for its segment')",
        },
        {
            content: "The message is now being sent",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Sending')",
        },
    ],
});
