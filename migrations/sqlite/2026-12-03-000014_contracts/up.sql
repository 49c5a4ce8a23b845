-- Vendor contracts as the contract register last stated them (R-LC-12), and the confirmation that
-- the information handed to the vendor was returned or erased at the contract's end (R-LC-13).
CREATE TABLE contracts (
    number               TEXT PRIMARY KEY,
    vendor               TEXT NOT NULL,
    start_date           TEXT,
    end_date             TEXT NOT NULL,
    parent               TEXT,
    updated_at           BIGINT NOT NULL,
    return_confirmed_at  BIGINT,
    return_confirmed_by  TEXT,
    return_note          TEXT
);
