-- switchboard schema, version 15: a keypad and speech menu in front of an account's agents.
--
-- A number with a menu is the account's (not an agent's: the store refuses a number that
-- both a menu and an agent would answer). The caller hears the prompt and picks one of at
-- most four choices by key (digit 1-9) or by saying its label or a keyword; each choice
-- reaches one of the account's agents or dials a person.
CREATE TABLE number_menus (
    phone_number  TEXT   NOT NULL PRIMARY KEY,
    account_id    TEXT   NOT NULL REFERENCES accounts (id),
    prompt        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX number_menus_account_idx ON number_menus (account_id, phone_number);

-- keywords: a JSON array of words or phrases that pick the choice when said.
-- Exactly one of agent_id (one of the account's agents) and dial_number (E.164) is set.
CREATE TABLE number_menu_choices (
    phone_number  TEXT   NOT NULL REFERENCES number_menus (phone_number) ON DELETE CASCADE,
    account_id    TEXT   NOT NULL,
    digit         BIGINT NOT NULL,
    label         TEXT   NOT NULL,
    keywords      TEXT   NOT NULL,
    agent_id      TEXT,
    dial_number   TEXT,
    PRIMARY KEY (phone_number, digit),
    CONSTRAINT number_menu_choices_agent_fkey FOREIGN KEY (account_id, agent_id)
        REFERENCES agents (account_id, id),
    CONSTRAINT number_menu_choices_digit_check CHECK (digit BETWEEN 1 AND 9),
    CONSTRAINT number_menu_choices_target_check
        CHECK ((agent_id IS NULL AND dial_number IS NOT NULL) OR (agent_id IS NOT NULL AND dial_number IS NULL))
);
