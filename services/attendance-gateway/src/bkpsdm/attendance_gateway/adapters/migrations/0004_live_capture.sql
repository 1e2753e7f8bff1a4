-- Live capture is opt-in per terminal: sessions then listen for live events between full pulls.
ALTER TABLE terminals ADD COLUMN live_capture boolean NOT NULL DEFAULT false;
