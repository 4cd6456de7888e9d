package compliance

// TrainingPlan is the capacity for face-to-face training: sessions of
// SessionSize places, run by Trainers trainers, each running up to
// SessionsPerTrainerMonth sessions a month. All three are at least 1.
type TrainingPlan struct {
	SessionSize             int
	Trainers                int
	SessionsPerTrainerMonth int
}

// Capacity is the sessions a month the trainers can run.
func (p TrainingPlan) Capacity() int { return p.Trainers * p.SessionsPerTrainerMonth }

// SessionsNeeded is the sessions a month that give perMonth people a
// place: ceil(perMonth / SessionSize).
func (p TrainingPlan) SessionsNeeded(perMonth int) int {
	if perMonth <= 0 || p.SessionSize <= 0 {
		return 0
	}
	return (perMonth + p.SessionSize - 1) / p.SessionSize
}

// FaceToFaceSessions is the plan for the face-to-face level of a forecast:
// the sessions a month its PerMonth completions need, against the
// capacity. Only the face-to-face level is taught in sessions; basic
// awareness and level 3 are e-learning.
func (p TrainingPlan) FaceToFaceSessions(fs []Forecast) (needed, capacity int) {
	for _, f := range fs {
		if f.Level == FaceToFace {
			needed = p.SessionsNeeded(f.PerMonth)
		}
	}
	return needed, p.Capacity()
}
