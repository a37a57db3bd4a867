//! The events that send notifications (spec domain §6.1), the variables each one provides, example
//! values for previews, and the default Indonesian and English texts an installation starts with.
//! Admins edit the texts; the variables are fixed by the event, so a template that uses anything
//! else is refused when it is saved.

use crate::notification::{TemplateError, check_template};
use std::collections::BTreeMap;

crate::str_enum! {
    "language",
    /// The language of a template.
    pub enum Language {
        Id = "id",
        En = "en",
    }
}

impl Default for Language {
    /// Indonesian: the customers' language unless they choose English.
    fn default() -> Self {
        Language::Id
    }
}

/// One event: its code, the variables it provides (with an example value each) and its default texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    pub code: &'static str,
    pub variables: &'static [(&'static str, &'static str)],
    /// (subject, body) in Indonesian and in English. The subject is used for e-mail.
    pub id: (&'static str, &'static str),
    pub en: (&'static str, &'static str),
}

impl EventSpec {
    pub fn variable_names(&self) -> Vec<String> {
        self.variables.iter().map(|(n, _)| (*n).to_owned()).collect()
    }

    pub fn examples(&self) -> BTreeMap<String, String> {
        self.variables.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    pub fn default_text(&self, language: Language) -> (&'static str, &'static str) {
        match language {
            Language::Id => self.id,
            Language::En => self.en,
        }
    }

    /// Checks a subject and body for this event: both well-formed, the body not empty, and only the
    /// event's variables used.
    pub fn check(&self, subject: &str, body: &str) -> Result<(), TemplateError> {
        let declared = self.variable_names();
        check_template(body, &declared)?;
        if subject.trim().is_empty() {
            return Ok(());
        }
        check_template(subject, &declared)
    }
}

/// Looks an event up by its code.
pub fn event(code: &str) -> Option<&'static EventSpec> {
    EVENTS.iter().find(|e| e.code == code)
}

pub const EVENTS: &[EventSpec] = &[
    EventSpec {
        code: "announcement",
        variables: &[
            ("name", "Budi Santoso"),
            ("title", "Pemeliharaan jaringan"),
            ("text", "Layanan pulih pukul 14.00 WIB."),
        ],
        id: ("{{title}}", "Halo {{name}},\n*{{title}}*\n{{text}}\n\nSalam, tim AGLIS"),
        en: ("{{title}}", "Hello {{name}},\n*{{title}}*\n{{text}}\n\nRegards, the AGLIS team"),
    },
    EventSpec {
        code: "otp_login",
        variables: &[("customerName", "Siti Rahayu"), ("otpCode", "482913"), ("expiryMinutes", "10")],
        id: (
            "Kode masuk portal",
            "Halo {{customerName}}, kode masuk portal Anda *{{otpCode}}*. Berlaku {{expiryMinutes}} menit. Jangan berikan kode ini kepada siapa pun.",
        ),
        en: (
            "Portal sign-in code",
            "Hello {{customerName}}, your portal sign-in code is *{{otpCode}}*. It is valid for {{expiryMinutes}} minutes. Never share it.",
        ),
    },
    EventSpec {
        code: "phone_change_otp",
        variables: &[("customerName", "Siti Rahayu"), ("otpCode", "482913"), ("expiryMinutes", "10")],
        id: (
            "Kode ganti nomor",
            "Halo {{customerName}}, kode untuk memakai nomor ini di akun pelanggan Anda *{{otpCode}}*. Berlaku {{expiryMinutes}} menit. Abaikan jika Anda tidak memintanya.",
        ),
        en: (
            "Number change code",
            "Hello {{customerName}}, the code to use this number on your customer account is *{{otpCode}}*. It is valid for {{expiryMinutes}} minutes. Ignore this if you did not ask for it.",
        ),
    },
    EventSpec {
        code: "signup_otp",
        variables: &[("customerName", "Siti Rahayu"), ("otpCode", "482913"), ("expiryMinutes", "10")],
        id: (
            "Kode pendaftaran",
            "Halo {{customerName}}, kode pendaftaran AGLIS Anda *{{otpCode}}*. Berlaku {{expiryMinutes}} menit. Jangan berikan kode ini kepada siapa pun.",
        ),
        en: (
            "Sign-up code",
            "Hello {{customerName}}, your AGLIS sign-up code is *{{otpCode}}*. It is valid for {{expiryMinutes}} minutes. Never share it.",
        ),
    },
    EventSpec {
        code: "registration_status",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("registrationNumber", "REG20261125001"),
            ("status", "survei dijadwalkan"),
            ("detail", "Jumat, 27/11/2026 pukul 10.00 WIB"),
            ("trackingUrl", "https://aglis.example/track"),
        ],
        id: (
            "Pendaftaran {{registrationNumber}}: {{status}}",
            "Halo {{customerName}}, pendaftaran *{{registrationNumber}}* kini: *{{status}}*. {{detail}}\nPantau di {{trackingUrl}}",
        ),
        en: (
            "Registration {{registrationNumber}}: {{status}}",
            "Hello {{customerName}}, registration *{{registrationNumber}}* is now: *{{status}}*. {{detail}}\nFollow it at {{trackingUrl}}",
        ),
    },
    EventSpec {
        code: "registration_confirmation",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("registrationNumber", "REG20261125001"),
            ("packageName", "Home 50 Mbps"),
            ("price", "Rp 350.000"),
            ("trackingUrl", "https://aglis.example/track/REG20261125001"),
        ],
        id: (
            "Pendaftaran {{registrationNumber}} diterima",
            "Halo {{customerName}}, pendaftaran Anda *{{registrationNumber}}* untuk paket {{packageName}} ({{price}}/bulan) sudah kami terima. Pantau prosesnya di {{trackingUrl}}",
        ),
        en: (
            "Registration {{registrationNumber}} received",
            "Hello {{customerName}}, we received your registration *{{registrationNumber}}* for {{packageName}} ({{price}}/month). Follow it at {{trackingUrl}}",
        ),
    },
    EventSpec {
        code: "ticket_created",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("ticketNumber", "TKT20261125003"),
            ("title", "Internet mati total"),
            ("trackingUrl", "https://aglis.example/t/TKT20261125003"),
        ],
        id: (
            "Tiket {{ticketNumber}} dibuat",
            "Halo {{customerName}}, laporan Anda \"{{title}}\" tercatat dengan nomor *{{ticketNumber}}*. Status: {{trackingUrl}}",
        ),
        en: (
            "Ticket {{ticketNumber}} created",
            "Hello {{customerName}}, your report \"{{title}}\" is ticket *{{ticketNumber}}*. Status: {{trackingUrl}}",
        ),
    },
    EventSpec {
        code: "ticket_assignment",
        variables: &[
            ("technicianName", "Agus Setiawan"),
            ("ticketNumber", "TKT20261125003"),
            ("customerName", "Siti Rahayu"),
            ("location", "Perum Galuh Mas Blok C2 No. 7, Karawang"),
            ("priority", "high"),
            ("deadline", "25/11/2026 16.00 WIB"),
        ],
        id: (
            "Tugas baru {{ticketNumber}}",
            "Halo {{technicianName}}, tugas baru *{{ticketNumber}}* ({{priority}})\nPelanggan: {{customerName}}\nLokasi: {{location}}\nBatas waktu: {{deadline}}",
        ),
        en: (
            "New job {{ticketNumber}}",
            "Hello {{technicianName}}, new job *{{ticketNumber}}* ({{priority}})\nCustomer: {{customerName}}\nLocation: {{location}}\nDeadline: {{deadline}}",
        ),
    },
    EventSpec {
        code: "ticket_status_update",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("ticketNumber", "TKT20261125003"),
            ("newStatus", "sedang dikerjakan"),
            ("technicianName", "Agus Setiawan"),
        ],
        id: (
            "Tiket {{ticketNumber}}: {{newStatus}}",
            "Halo {{customerName}}, tiket *{{ticketNumber}}* kini *{{newStatus}}*. Teknisi: {{technicianName}}.",
        ),
        en: (
            "Ticket {{ticketNumber}}: {{newStatus}}",
            "Hello {{customerName}}, ticket *{{ticketNumber}}* is now *{{newStatus}}*. Technician: {{technicianName}}.",
        ),
    },
    EventSpec {
        code: "sla_warning",
        variables: &[
            ("ticketNumber", "TKT20261125003"),
            ("customerName", "Siti Rahayu"),
            ("technicianName", "Agus Setiawan"),
            ("remaining", "45 menit"),
        ],
        id: (
            "SLA {{ticketNumber}} hampir habis",
            "⚠️ SLA tiket *{{ticketNumber}}* ({{customerName}}) tersisa {{remaining}}. Teknisi: {{technicianName}}.",
        ),
        en: (
            "SLA of {{ticketNumber}} nearly up",
            "⚠️ Ticket *{{ticketNumber}}* ({{customerName}}) has {{remaining}} of SLA left. Technician: {{technicianName}}.",
        ),
    },
    EventSpec {
        code: "payment_reminder",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("invoiceNumber", "INV-202611-0042"),
            ("amount", "Rp 388.500"),
            ("dueDate", "01/12/2026"),
            ("portalUrl", "https://aglis.example/portal"),
        ],
        id: (
            "Tagihan {{invoiceNumber}} jatuh tempo {{dueDate}}",
            "Halo {{customerName}}, tagihan *{{invoiceNumber}}* sebesar *{{amount}}* jatuh tempo {{dueDate}}. Bayar di {{portalUrl}}",
        ),
        en: (
            "Invoice {{invoiceNumber}} due {{dueDate}}",
            "Hello {{customerName}}, invoice *{{invoiceNumber}}* of *{{amount}}* is due on {{dueDate}}. Pay at {{portalUrl}}",
        ),
    },
    EventSpec {
        code: "payment_overdue",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("invoiceNumber", "INV-202611-000042"),
            ("amount", "Rp 388.500"),
            ("dueDate", "01/12/2026"),
            ("portalUrl", "https://aglis.example/pay/INV-202611-000042?k=1a2b3c4d5e6f7a8b"),
        ],
        id: (
            "Tagihan {{invoiceNumber}} lewat jatuh tempo",
            "Halo {{customerName}}, tagihan *{{invoiceNumber}}* sebesar *{{amount}}* sudah lewat jatuh tempo ({{dueDate}}). Mohon segera dibayar agar layanan tidak terisolir: {{portalUrl}}",
        ),
        en: (
            "Invoice {{invoiceNumber}} is overdue",
            "Hello {{customerName}}, invoice *{{invoiceNumber}}* of *{{amount}}* was due on {{dueDate}}. Please pay it soon to keep your service running: {{portalUrl}}",
        ),
    },
    EventSpec {
        code: "service_suspended",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("reason", "tagihan INV-202611-000042 belum dibayar"),
            ("amount", "Rp 388.500"),
            ("portalUrl", "https://aglis.example/isolir?c=AGLS202611010042"),
        ],
        id: (
            "Layanan internet diisolir",
            "Halo {{customerName}}, layanan internet Anda kami isolir: {{reason}}. Tagihan terbuka *{{amount}}*. Setelah dibayar, layanan aktif kembali otomatis dalam beberapa menit: {{portalUrl}}",
        ),
        en: (
            "Internet service suspended",
            "Hello {{customerName}}, your internet service is suspended: {{reason}}. Open balance *{{amount}}*. Once paid, it comes back on by itself within minutes: {{portalUrl}}",
        ),
    },
    EventSpec {
        code: "service_restored",
        variables: &[("customerName", "Siti Rahayu"), ("reason", "pembayaran INV-202611-000042 diterima")],
        id: (
            "Layanan internet aktif kembali",
            "Halo {{customerName}}, layanan internet Anda aktif kembali ({{reason}}). Jika belum tersambung, matikan modem 1 menit lalu nyalakan lagi.",
        ),
        en: (
            "Internet service restored",
            "Hello {{customerName}}, your internet service is back on ({{reason}}). If it does not connect, switch the modem off for a minute and on again.",
        ),
    },
    EventSpec {
        code: "payment_confirmation",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("invoiceNumber", "INV-202611-0042"),
            ("amount", "Rp 388.500"),
            ("paymentMethod", "QRIS"),
        ],
        id: (
            "Pembayaran {{invoiceNumber}} diterima",
            "Terima kasih {{customerName}}, pembayaran {{amount}} untuk *{{invoiceNumber}}* via {{paymentMethod}} sudah kami terima.",
        ),
        en: (
            "Payment for {{invoiceNumber}} received",
            "Thank you {{customerName}}, we received {{amount}} for *{{invoiceNumber}}* via {{paymentMethod}}.",
        ),
    },
    EventSpec {
        code: "installation_schedule",
        variables: &[
            ("customerName", "Siti Rahayu"),
            ("date", "27/11/2026"),
            ("time", "09.00–12.00 WIB"),
            ("technicianName", "Agus Setiawan"),
            ("technicianPhone", "0812-1234-5678"),
        ],
        id: (
            "Jadwal pemasangan {{date}}",
            "Halo {{customerName}}, pemasangan dijadwalkan {{date}} pukul {{time}}. Teknisi: {{technicianName}} ({{technicianPhone}}).",
        ),
        en: (
            "Installation on {{date}}",
            "Hello {{customerName}}, installation is scheduled on {{date}} at {{time}}. Technician: {{technicianName}} ({{technicianPhone}}).",
        ),
    },
    EventSpec {
        code: "maintenance",
        variables: &[("area", "Telukjambe Timur"), ("eta", "14.00 WIB"), ("actions", "Penggantian kabel feeder")],
        id: (
            "Pemeliharaan jaringan {{area}}",
            "🔧 Pemeliharaan jaringan di *{{area}}*: {{actions}}. Perkiraan selesai {{eta}}. Mohon maaf atas ketidaknyamanannya.",
        ),
        en: (
            "Network maintenance in {{area}}",
            "🔧 Network maintenance in *{{area}}*: {{actions}}. Expected to finish at {{eta}}. Sorry for the inconvenience.",
        ),
    },
    EventSpec {
        code: "daily_summary",
        variables: &[
            ("date", "25/11/2026"),
            ("totalTickets", "38"),
            ("completed", "31"),
            ("overdueTickets", "2"),
            ("slaAchievement", "94%"),
        ],
        id: (
            "Ringkasan harian {{date}}",
            "📊 Ringkasan {{date}}: {{totalTickets}} tiket, {{completed}} selesai, {{overdueTickets}} lewat SLA. Capaian SLA {{slaAchievement}}.",
        ),
        en: (
            "Daily summary {{date}}",
            "📊 Summary {{date}}: {{totalTickets}} tickets, {{completed}} completed, {{overdueTickets}} past SLA. SLA met {{slaAchievement}}.",
        ),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::render;
    use std::collections::BTreeSet;

    #[test]
    fn every_default_text_is_valid_and_renders_with_the_examples() {
        for e in EVENTS {
            for &lang in Language::ALL {
                let (subject, body) = e.default_text(lang);
                assert_eq!(e.check(subject, body), Ok(()), "{} {lang}", e.code);
                let text = render(body, &e.examples()).expect("examples fill every variable");
                assert!(!text.contains("{{"), "{} {lang}: {text}", e.code);
            }
        }
    }

    #[test]
    fn codes_are_unique_and_found() {
        let codes: BTreeSet<&str> = EVENTS.iter().map(|e| e.code).collect();
        assert_eq!(codes.len(), EVENTS.len());
        assert_eq!(event("sla_warning").map(|e| e.code), Some("sla_warning"));
        assert_eq!(event("nope"), None);
    }

    #[test]
    fn a_variable_the_event_does_not_provide_is_refused() {
        let e = event("payment_reminder").expect("event");
        assert_eq!(
            e.check("", "Halo {{customerName}}, paket {{packageName}}"),
            Err(TemplateError::Undeclared(vec!["packageName".into()]))
        );
        assert_eq!(
            e.check("Tagihan {{nope}}", "Halo {{customerName}}"),
            Err(TemplateError::Undeclared(vec!["nope".into()]))
        );
        assert_eq!(e.check("", "  "), Err(TemplateError::Empty));
    }

    #[test]
    fn languages_parse() {
        assert_eq!("en".parse::<Language>(), Ok(Language::En));
        assert!("fr".parse::<Language>().is_err());
    }
}
