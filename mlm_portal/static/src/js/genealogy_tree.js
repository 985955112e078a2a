/** The distributor's genealogy on the portal: nodes load their children on demand, so a leader with a very large
 * downline opens the page at once; each first-level leg keeps its own colour; a search jumps to any member. */
import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";
import { _t } from "@web/core/l10n/translation";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

function formatVolume(value) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
}

publicWidget.registry.MlmGenealogyTree = publicWidget.Widget.extend({
    selector: ".o_mlm_tree_page",
    events: {
        "input .o_mlm_tree_search": "_onSearchInput",
        "click .o_mlm_tree_reset": "_onReset",
    },

    start() {
        this.treeEl = this.el.querySelector(".o_mlm_tree");
        this.resultsEl = this.el.querySelector(".o_mlm_tree_results");
        this.root = JSON.parse(this.treeEl.dataset.root || "{}");
        this.legColors = new Map();
        this._renderRoot();
        return this._super(...arguments);
    },

    _legColor(node) {
        if (node.level === 0) {
            return "var(--mlm-primary, #714B67)";
        }
        if (!this.legColors.has(node.leg_id)) {
            this.legColors.set(node.leg_id, PALETTE[this.legColors.size % PALETTE.length]);
        }
        return this.legColors.get(node.leg_id);
    },

    _renderRoot() {
        this.treeEl.replaceChildren();
        if (!this.root.id) {
            return;
        }
        const ul = document.createElement("ul");
        ul.className = "o_mlm_tree_list list-unstyled mb-0";
        const li = this._nodeElement(this.root);
        ul.append(li);
        this.treeEl.append(ul);
        return this._expand(li, this.root);
    },

    _nodeElement(node) {
        const li = document.createElement("li");
        li.className = "o_mlm_node";
        li.dataset.id = node.id;
        const card = document.createElement("div");
        card.className = "o_mlm_node_card d-flex align-items-center gap-2";
        card.style.borderLeftColor = this._legColor(node);
        const toggle = document.createElement("button");
        toggle.type = "button";
        toggle.className = "btn btn-sm btn-light o_mlm_toggle";
        toggle.disabled = !node.children;
        toggle.textContent = node.children ? `▸ ${node.children}` : "·";
        toggle.setAttribute("aria-label", _t("Show the team"));
        toggle.addEventListener("click", () => this._toggle(li, node));
        const img = document.createElement("img");
        img.src = node.photo;
        img.loading = "lazy";
        img.alt = "";
        img.className = "rounded-circle o_mlm_node_photo";
        const text = document.createElement("div");
        text.className = "o_mlm_node_text";
        const link = document.createElement("a");
        link.href = `/my/network/member/${node.id}`;
        link.className = "o_mlm_node_name fw-bold";
        link.textContent = node.name;
        const meta = document.createElement("div");
        meta.className = "small text-muted";
        meta.textContent = `${node.code} · ${node.rank || "-"} · PV ${formatVolume(node.pv)} · GV ${formatVolume(node.gv)}`;
        text.append(link, meta);
        card.append(toggle, img, text);
        const children = document.createElement("ul");
        children.className = "o_mlm_children list-unstyled d-none";
        li.append(card, children);
        return li;
    },

    async _toggle(li, node) {
        const children = li.querySelector(":scope > .o_mlm_children");
        if (li.classList.contains("o_mlm_open") && !li.classList.contains("o_mlm_partial")) {
            li.classList.remove("o_mlm_open");
            children.classList.add("d-none");
            li.querySelector(":scope > .o_mlm_node_card .o_mlm_toggle").textContent = `▸ ${node.children}`;
            return;
        }
        return this._expand(li, node);
    },

    async _expand(li, node, offset = 0) {
        const children = li.querySelector(":scope > .o_mlm_children");
        if (offset === 0) {
            children.replaceChildren();
        }
        li.classList.remove("o_mlm_partial");
        if (!node.children) {
            return;
        }
        const result = await rpc("/my/network/tree/children", { parent_id: node.id, offset });
        for (const child of result.nodes) {
            children.append(this._nodeElement(child));
        }
        children.querySelector(":scope > .o_mlm_more")?.remove();
        const loaded = offset + result.nodes.length;
        if (loaded < node.children) {
            const more = document.createElement("li");
            more.className = "o_mlm_more";
            const button = document.createElement("button");
            button.type = "button";
            button.className = "btn btn-link btn-sm";
            button.textContent = _t("Show more (%(count)s left)", { count: node.children - loaded });
            button.addEventListener("click", () => this._expand(li, node, loaded));
            more.append(button);
            children.append(more);
        }
        children.classList.remove("d-none");
        li.classList.add("o_mlm_open");
        li.querySelector(":scope > .o_mlm_node_card .o_mlm_toggle").textContent = `▾ ${node.children}`;
    },

    _onSearchInput(ev) {
        clearTimeout(this._searchTimer);
        const term = ev.currentTarget.value.trim();
        this._searchTimer = setTimeout(() => this._search(term), 250);
    },

    async _search(term) {
        this.resultsEl.replaceChildren();
        if (term.length < 2) {
            return;
        }
        const { results } = await rpc("/my/network/tree/search", { term });
        const levelLabel = _t("level");
        for (const result of results) {
            const button = document.createElement("button");
            button.type = "button";
            button.className = "list-group-item list-group-item-action small o_mlm_search_result";
            button.textContent = `${result.name} · ${result.code} · ${levelLabel} ${result.level}`;
            button.addEventListener("click", () => this._jumpTo(result.id));
            this.resultsEl.append(button);
        }
        if (!results.length) {
            const empty = document.createElement("div");
            empty.className = "list-group-item small text-muted";
            empty.textContent = _t("Nobody in your team matches.");
            this.resultsEl.append(empty);
        }
    },

    /** Show the branch from the root down to a member, each level opened on that path only. */
    async _jumpTo(memberId) {
        this.resultsEl.replaceChildren();
        const { path } = await rpc("/my/network/tree/path", { member_id: memberId });
        this.treeEl.replaceChildren();
        const ul = document.createElement("ul");
        ul.className = "o_mlm_tree_list list-unstyled mb-0";
        this.treeEl.append(ul);
        let parentList = ul;
        let target = null;
        path.forEach((node, index) => {
            const li = this._nodeElement(node);
            parentList.append(li);
            if (index < path.length - 1) {
                li.classList.add("o_mlm_open", "o_mlm_partial");
                const children = li.querySelector(":scope > .o_mlm_children");
                children.classList.remove("d-none");
                parentList = children;
            }
            target = li;
        });
        if (target) {
            target.classList.add("o_mlm_found");
            target.scrollIntoView({ block: "center" });
        }
    },

    _onReset() {
        this.el.querySelector(".o_mlm_tree_search").value = "";
        this.resultsEl.replaceChildren();
        return this._renderRoot();
    },
});

export default publicWidget.registry.MlmGenealogyTree;
