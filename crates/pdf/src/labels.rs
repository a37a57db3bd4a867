//! The fixed words of the invoice, in Indonesian and in English.
//!
//! The tax rows follow the wording of an Indonesian tax invoice (PMK 131/2024): "Harga Jual /
//! Penggantian", "Potongan Harga", "Dasar Pengenaan Pajak", "DPP Nilai Lain", "PPN".

use serde::Serialize;

use crate::Lang;

/// Serialised as is into the template's data (`labels.*`).
#[derive(Debug, Serialize)]
pub(crate) struct Labels {
    /// The document's title, e.g. "Tagihan".
    pub title: &'static str,
    pub number: &'static str,
    pub issued: &'static str,
    pub due: &'static str,
    pub period: &'static str,
    pub status: &'static str,
    pub npwp: &'static str,
    pub bill_to: &'static str,
    pub customer_code: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub line_no: &'static str,
    pub description: &'static str,
    pub quantity: &'static str,
    pub unit_price: &'static str,
    pub amount: &'static str,
    pub no_lines: &'static str,
    pub selling_price: &'static str,
    pub discount: &'static str,
    pub dpp: &'static str,
    pub dpp_other: &'static str,
    /// Followed by the rate: "PPN 12%".
    pub vat: &'static str,
    pub total: &'static str,
    pub paid: &'static str,
    pub credit_note: &'static str,
    pub amount_due: &'static str,
    pub no_vat: &'static str,
    pub pay_title: &'static str,
    pub pay_online: &'static str,
    pub scan_to_pay: &'static str,
    /// The stamp on a paid invoice.
    pub stamp: &'static str,
    /// "Halaman" in "Halaman 1 / 2".
    pub page: &'static str,
    pub electronic: &'static str,
}

pub(crate) const ID: Labels = Labels {
    title: "Tagihan",
    number: "No. Tagihan",
    issued: "Tanggal",
    due: "Jatuh tempo",
    period: "Periode",
    status: "Status",
    npwp: "NPWP",
    bill_to: "Ditagihkan kepada",
    customer_code: "ID Pelanggan",
    phone: "Telepon",
    email: "Email",
    line_no: "No.",
    description: "Uraian",
    quantity: "Jumlah",
    unit_price: "Harga Satuan",
    amount: "Nilai",
    no_lines: "Tidak ada rincian tagihan.",
    selling_price: "Harga Jual / Penggantian",
    discount: "Potongan Harga",
    dpp: "Dasar Pengenaan Pajak",
    dpp_other: "DPP Nilai Lain (11/12)",
    vat: "PPN",
    total: "Total",
    paid: "Dibayar",
    credit_note: "Nota Kredit",
    amount_due: "Sisa Tagihan",
    no_vat: "Tidak dikenakan PPN",
    pay_title: "Cara Pembayaran",
    pay_online: "Bayar online",
    scan_to_pay: "Pindai untuk membayar",
    stamp: "LUNAS",
    page: "Halaman",
    electronic: "Dokumen ini dibuat secara elektronik dan sah tanpa tanda tangan.",
};

pub(crate) const EN: Labels = Labels {
    title: "Invoice",
    number: "Invoice no.",
    issued: "Issue date",
    due: "Due date",
    period: "Period",
    status: "Status",
    npwp: "Tax ID (NPWP)",
    bill_to: "Bill to",
    customer_code: "Customer ID",
    phone: "Phone",
    email: "Email",
    line_no: "No.",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    amount: "Amount",
    no_lines: "No items on this invoice.",
    selling_price: "Selling price",
    discount: "Discount",
    dpp: "Tax base (DPP)",
    dpp_other: "Other tax base (11/12)",
    vat: "VAT",
    total: "Total",
    paid: "Paid",
    credit_note: "Credit notes",
    amount_due: "Amount due",
    no_vat: "No VAT charged",
    pay_title: "How to pay",
    pay_online: "Pay online",
    scan_to_pay: "Scan to pay",
    stamp: "PAID",
    page: "Page",
    electronic: "This document was generated electronically and is valid without a signature.",
};

impl Labels {
    pub(crate) fn of(lang: Lang) -> &'static Labels {
        match lang {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}
