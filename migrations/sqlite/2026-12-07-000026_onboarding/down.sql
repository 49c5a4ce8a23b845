DROP INDEX onboarding_records_account;
DROP TABLE onboarding_records;
