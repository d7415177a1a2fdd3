package console

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkPasswordCheck is the cost of one login attempt at the stored cost (BcryptCost):
// what bounds a guesser, and what a technician waits once a login.
func BenchmarkPasswordCheck(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte(techPW), BcryptCost)
	if err != nil {
		b.Fatal(err)
	}
	us := Users{"tech": {Name: "tech", Role: Technician, Hash: h}}
	for b.Loop() {
		if _, ok := us.Check("tech", techPW); !ok {
			b.Fatal("refused")
		}
	}
}
