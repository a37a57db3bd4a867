//! WhatsApp Cloud API (Meta) sender. To be written.
